WRONG = {"ex99_1": "def double(x):\n    return x + 1\n"}
