"""Training: the loop (train), the config schema (config), the optimizers and schedule (optim), the step benchmark."""
