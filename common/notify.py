"""SNS events on every terminal job state, with attributes for subscription filter policies."""

from common.aws import AwsClients
from common.schemas import JobEvent


class JobEvents:
    def __init__(self, clients: AwsClients, topic_arn: str) -> None:
        self._sns = clients.sns
        self._topic_arn = topic_arn

    async def publish(self, event: JobEvent) -> None:
        await self._sns.publish(
            TopicArn=self._topic_arn,
            Message=event.model_dump_json(),
            MessageAttributes={
                "status": {"DataType": "String", "StringValue": event.status.value},
                "template_id": {"DataType": "String", "StringValue": event.template_id},
            },
        )
