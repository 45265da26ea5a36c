"""Classification: keyword rules from rules/*.yaml, and 公文 fields found in the text."""
