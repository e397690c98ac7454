"""Export: checkpoint -> model folder (export, quantize), folder -> checkpoint (import_weights), latency by size."""
