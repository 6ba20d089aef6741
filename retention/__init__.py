"""Retention schedules, holds, appraisal and disposal."""
