# A monthly budget on the project: e-mails at 50 %, 90 % and 100 % of actual spend and at 100 % of
# the forecast. Budgets notify; they never cap spending.
resource "google_billing_budget" "monthly" {
  billing_account = var.billing_account
  display_name    = "Signal Copier monthly budget"

  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }

  amount {
    specified_amount {
      units = tostring(var.monthly_budget)
    }
  }

  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = local.alert_channels
    disable_default_iam_recipients   = false
  }

  depends_on = [google_project_service.enabled]
}
