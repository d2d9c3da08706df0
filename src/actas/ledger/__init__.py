"""The bulletin board's mathematics: an RFC 9162 Merkle tree, its proofs, and signed checkpoints."""
