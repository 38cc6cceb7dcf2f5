"""Follow-up items (rencana pengembangan): what an appraisal's result calls for, to done."""
