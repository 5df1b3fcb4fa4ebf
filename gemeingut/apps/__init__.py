"""Applications on the governed server: retrieval over the user's documents (`rag/`)."""
