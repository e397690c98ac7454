"""Tokenizer: byte-level BPE, trained and applied (bpe); check_tokenizer.mjs compares it with the JS tokenizer."""
