"""The analysis of one embedding (kNN, hubness and its reduction, projections, clusters,
faithfulness) as cached pipeline stages, the mapping of results to columns, and comparisons
of embeddings."""
