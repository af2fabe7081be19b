"""Embeddings: the ONNX encoder, its cache, further embeddings of a corpus (other columns,
files, models) and their variants (truncations, int8 and 1-bit codes, Hamming search)."""
