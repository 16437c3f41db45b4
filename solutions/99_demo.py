# ---
# jupyter:
#   course:
#     title: Demo
#     budget_seconds: 30
# ---

# %% [markdown]
# # Demo
# {{COLAB_BADGE}}

# %%
import sys
if "google.colab" in sys.modules:
    print("{{INSTALL_SPEC}}")
import torch

# %% nbgrader={"solution": true, "grade_id": "ex99_1"}
def double(x):
    """Return 2x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex99_1_test", "points": 2}
assert double(1) == 2
### BEGIN HIDDEN TESTS
assert double(3) == 6
### END HIDDEN TESTS
