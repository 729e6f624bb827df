"""Tests of the Flowroute client package."""
