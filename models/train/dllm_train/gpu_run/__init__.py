"""The GPU run: the lease's stages (run), planned in RUN.md."""
