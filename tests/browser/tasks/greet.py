# A PyWorker script loaded by URL: greets with a name from its environment.
import os

from pywebworker.inside import send


def onmessage(value):
    send(f"{os.environ.get('GREETING', 'hello')}, {value}")
