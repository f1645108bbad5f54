# The same flow as the Quick Reference, with a Python echo script running in its own Pyodide in a
# PyWorker. What the worker prints goes to the page's console (stdout="console").
from pywebworker.worker import PyWorker

script = '''
from pywebworker.inside import send
print("worker created")
def onmessage(message):
    print("Received:", message)
    send(message)
'''

worker = PyWorker(script, stdout="console")
worker.start()

worker.send_message('This is the first message')
messages = worker.get_unread_messages()
print([message.read() for message in messages])

worker.send_message('This is the second message')
print(worker.has_unread_messages())

first_message = worker.get_message(0)
second_message = worker.get_message(1)
print(first_message.is_opened())
print(second_message.is_opened())

worker.send_message('This is the third message')
worker._update_messages()
print(worker.get_message(2).read())

# Python values keep their types between two Pythons: a tuple, a float, bytes, a big int
worker.send_message(("tuple", 1.0, b"\x01", 2**70))
print(worker.get_unread_messages()[-1].read())

worker.kill()
print("transport:", worker.transport)
