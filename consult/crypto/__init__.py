"""Pure cryptography: canonical JSON, field encryption, hashing. No Flask, no database."""
