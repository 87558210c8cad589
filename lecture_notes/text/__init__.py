"""Text helpers shared by the stages: sentences, keyphrases, ranking, question templates."""
