"""sso-doctor: diagnose AWS IAM Identity Center (AWS SSO) setups on a workstation."""

__version__ = "0.1.0"
