"""The pure core: the review vocabulary as pydantic models and their pure behaviour."""
