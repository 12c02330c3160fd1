"""The embedded MaaS: a small, real memory service and its self-learning modules.

``maas.embedded:build`` returns its Teacher, Emulator and Tuner behind the protocols of
``manager.ports`` (the only thing of the Manager this package imports).

- ``student``    the memory service: remembers users' statements, BM25 retrieval, answers or abstains
- ``student_model``  its declared factors, cost model, fault model and reader (data/student.yaml)
- ``world``, ``dialogues``  personas and templates, and the seeded dialogues written from them
- ``conversation``  plays dialogues through the student into SensorEvents
- ``emulator``   batches of N dialogues for one configuration
- ``judge``, ``verdict``, ``hypotheses``, ``impacts``, ``teacher``  the Teacher's parts
- ``tuner``      parameter versions persisted in the workspace
- ``golden``, ``golden_gen``  the shipped golden set and the script that wrote it
- ``faults``     adapter faults on request, for tests of the Manager
"""
