"""Stage 3: the typed platform -> the files to write (manifests, Applications, ApplicationSets).

Docs read this package; it never reads docs. ``pipeline`` joins the two with the metadata file.
"""

from gigrouter.layout.files import (
    FINALIZER,
    HEALTH_CHECK_NOTE,
    METADATA_FILE,
    METADATA_FORMAT,
    README,
    WAVE,
    Output,
    TreeSettings,
    alb_annotations,
    app_files,
    application_view,
    container_view,
    header,
    ingress_profile,
    ingress_view,
    metadata,
    observability_values,
    part_of,
    resources_view,
    wave_annotation,
)
from gigrouter.layout.outputs import outputs

__all__ = [
    "FINALIZER",
    "HEALTH_CHECK_NOTE",
    "METADATA_FILE",
    "METADATA_FORMAT",
    "README",
    "WAVE",
    "Output",
    "TreeSettings",
    "alb_annotations",
    "app_files",
    "application_view",
    "container_view",
    "header",
    "ingress_profile",
    "ingress_view",
    "metadata",
    "observability_values",
    "outputs",
    "part_of",
    "resources_view",
    "wave_annotation",
]
