"""People and their signed acts: the people file, OpenSSH signatures, acts, allowed signers.

May import `schemas.base`.
"""
