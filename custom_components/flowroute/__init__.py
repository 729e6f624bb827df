"""The Flowroute integration: SMS and MMS through a Flowroute account."""
