"""Whole courses: batch conversion, the course index and LMS exports."""
