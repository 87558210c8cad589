"""LMS exports."""
