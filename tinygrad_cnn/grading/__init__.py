"""The autograder: course exercises graded safely, locally and on Gradescope.

Read in this order: ``exercises.py`` (the exercise tree, points, the student edition),
``plugin.py`` (how a test reaches the student's code), ``sandbox.py`` and ``worker.py`` (the
child process that runs it), ``wire.py`` (the data that crosses), ``checks.py`` (assertions
with messages for students), ``grader.py`` (a whole grading run, its table and results.json)
and ``gradescope.py`` (the autograder zip). docs/grading.md has the threat model.
"""
