"""The one audit pass behind `audit verify` and `audit replay`, and a witness's checks.

Chains, signatures, checkpoints, the tree, people's acts. May import every room but
`schemas.replay`.
"""
