"""Open-dataset releases: versioned, scrubbed, reproducible Parquet with card, dictionary,
manifest and changelog (docs/release.md)."""

from lendcorpus.release.build import GateFailure, ReleaseError, ReleaseOptions, make_release
from lendcorpus.release.verify import verify_release

__all__ = ["GateFailure", "ReleaseError", "ReleaseOptions", "make_release", "verify_release"]
