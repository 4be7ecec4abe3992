"""What a policy change does to people: two versions evaluated on the same data, and its reports."""
