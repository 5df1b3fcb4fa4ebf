"""Applications on the governed server: retrieval over the user's documents (`rag/`) and
assistants for administrative work (`assistants/`)."""
