"""Text-line recognition: our own CRNN trained on synthetic lines. The only package that imports torch."""
