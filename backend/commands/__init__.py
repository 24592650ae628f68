"""Click commands of ``onboarding-kit`` that belong to the backend."""
