"""Run the real thing: Home Assistant in a subprocess with the integration and the simulator.

`python -m demo` is the demo a newcomer runs; the end-to-end tests use the same pieces.
"""
