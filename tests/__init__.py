"""Tests of the Flowroute integration."""
