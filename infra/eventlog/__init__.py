"""The event log and its transparency log: the log, its checkpoints, the tree integrator.

One log over small object-store backends (S3, memory, a folder); the checkpoints it is signed
under; the integrator that puts commits in the Merkle tree.
"""
