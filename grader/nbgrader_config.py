"""nbgrader configuration for the course. Run nbgrader commands from this folder (``cd grader``).

Layout (made by ``python grader/manage.py generate`` and by you):
    grader/source/<lesson>/<lesson>.ipynb      copies of solutions/<lesson>.ipynb (nbgrader's "source")
    grader/release/<lesson>/<lesson>.ipynb     student versions (also copied to notebooks/)
    grader/submitted/<student>/<lesson>/<lesson>.ipynb   what students hand in
    grader/autograded/, grader/feedback/, grader/gradebook.db, grader/grades.csv
    grader/grading_logs/<lesson>/<student>/      the full record of each grading (hidden tests included:
                                                 for the instructor only)

Autograde with ``python grader/manage.py autograde <lesson>``, never with ``nbgrader autograde``: it grades each
submission alone, in a sandbox (grader/sandbox.py), with these settings plus its own (grader/autograding.py).
"""

from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "transformers-for-nlp"

# Lessons load MiniLM and train small models: nbgrader's default of 30 s per cell is too short.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True

# What a learner sees in an answer cell before filling it in.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Student versions carry no outputs, so that they open clean and diff cleanly.
c.ClearOutput.enabled = True
