"""interviewer: a command-line coach for technical oral interviews."""

__version__ = "0.1.0"
