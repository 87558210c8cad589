"""The built-in backends, as ``module:Class`` references: the same strings pyproject.toml lists under the
``lecture_notes.backends`` entry-point group, so built-ins register exactly as third-party plugins do. The
registry reads this list too, so a source checkout works without installation. Importing a backend module
is cheap: models load when a backend is created."""

BUILTINS = {
    "asr.faster-whisper": "lecture_notes.backends.faster_whisper_backend:FasterWhisperTranscriber",
    "asr.transformers": "lecture_notes.backends.whisper_transformers:TransformersWhisperTranscriber",
    "ocr.rapidocr": "lecture_notes.backends.rapidocr_backend:RapidOcrEngine",
    "embedder.minilm": "lecture_notes.backends.minilm:MiniLMEmbedder",
    "notes.extractive": "lecture_notes.backends.extractive:ExtractiveNoteWriter",
    "notes.transformers": "lecture_notes.backends.llm_transformers:TransformersNoteWriter",
    "notes.openai": "lecture_notes.backends.llm_openai:OpenAINoteWriter",
    "vision.transformers": "lecture_notes.backends.vision_transformers:TransformersVisionDescriber",
    "reranker.transformers": "lecture_notes.backends.reranker_transformers:TransformersReranker",
}
