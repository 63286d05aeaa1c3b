"""Stage 3, score: the domain classifier (offline feature extractor), torch-fidelity
metrics and the metric registry that says what every scored number means."""
