"""The inbox daemon: which files are ready, watching for them, and the loop that processes them."""
