"""Running a build: the pipeline, the stage cache, staged output, environment checks."""
