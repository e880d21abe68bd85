"""Runs an .ipynb top to bottom with nbclient, as Jupyter's Run All does, with
the kernel in the notebook's folder (as Jupyter starts it).

    python execute_ipynb.py IN.ipynb OUT.ipynb

Writes the executed notebook to OUT (also when a cell fails); exits 1,
printing the failure, when a cell raised.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target = sys.argv[1], sys.argv[2]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}})
status = 0
try:
    client.execute()
except CellExecutionError as error:
    print(error)
    status = 1
nbformat.write(notebook, target)
sys.exit(status)
