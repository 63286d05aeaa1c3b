"""Stage 2, train: datasets in memory, the DCGAN built from a cell's tricks, the training
loop with its in-loop tricks, checkpoints and the run folder's final files."""
