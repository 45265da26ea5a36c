"""Access to ../shared/data/gov-dev: real 公文 PDFs with ground-truth text and line boxes.

Used for measuring only: never as training text or fonts."""
