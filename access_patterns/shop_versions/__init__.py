"""The example shop as it evolves, one module per deployed version (v1 is ``access_patterns.shop``).

Each version is an ``App("shop", ...)`` whose ``baseline`` is the version before it, so its
design keeps the deployed index names; ``migrations/`` at the repository root holds the
revisions that ``dynamodel migrate new`` wrote from one version to the next.
"""
