/** The Firehose client from configuration, with the options every AWS client shares (aws.ts). */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { clientOptions, type AwsConfig } from './aws.ts';

export function makeFirehose(config: AwsConfig): FirehoseClient {
  return new FirehoseClient(clientOptions(config));
}
