import * as protobuf from 'protobufjs';

/**
 * The Sparkplug B 3.0 `Payload` message (Eclipse Sparkplug 3.0, sparkplug_b.proto, package
 * org.eclipse.tahu.protobuf) as a protobufjs JSON descriptor. Field names and numbers follow the
 * .proto exactly; protobufjs does the wire format. Extension ranges are left out: unknown fields
 * are skipped by the reader, which is what a host must do with extensions it does not know.
 * DataSet and Template are declared so that they decode (and can be skipped) safely; TwinLoop does
 * not turn them into samples.
 */
const valueOneof = (names: string[]) => ({ value: { oneof: names } });

const payloadDescriptor = {
        // proto2: explicit field presence, so alias 0 or a false boolean is still sent and seen.
        edition: 'proto2',
        fields: {
          timestamp: { type: 'uint64', id: 1 },
          metrics: { rule: 'repeated', type: 'Metric', id: 2 },
          seq: { type: 'uint64', id: 3 },
          uuid: { type: 'string', id: 4 },
          body: { type: 'bytes', id: 5 },
        },
        nested: {
          Template: {
            fields: {
              version: { type: 'string', id: 1 },
              metrics: { rule: 'repeated', type: 'Metric', id: 2 },
              parameters: { rule: 'repeated', type: 'Parameter', id: 3 },
              template_ref: { type: 'string', id: 4 },
              is_definition: { type: 'bool', id: 5 },
            },
            nested: {
              Parameter: {
                oneofs: valueOneof(['int_value', 'long_value', 'float_value', 'double_value', 'boolean_value', 'string_value', 'extension_value']),
                fields: {
                  name: { type: 'string', id: 1 },
                  type: { type: 'uint32', id: 2 },
                  int_value: { type: 'uint32', id: 3 },
                  long_value: { type: 'uint64', id: 4 },
                  float_value: { type: 'float', id: 5 },
                  double_value: { type: 'double', id: 6 },
                  boolean_value: { type: 'bool', id: 7 },
                  string_value: { type: 'string', id: 8 },
                  extension_value: { type: 'ParameterValueExtension', id: 9 },
                },
                nested: { ParameterValueExtension: { fields: {} } },
              },
            },
          },
          DataSet: {
            fields: {
              num_of_columns: { type: 'uint64', id: 1 },
              columns: { rule: 'repeated', type: 'string', id: 2 },
              types: { rule: 'repeated', type: 'uint32', id: 3 },
              rows: { rule: 'repeated', type: 'Row', id: 4 },
            },
            nested: {
              DataSetValue: {
                oneofs: valueOneof(['int_value', 'long_value', 'float_value', 'double_value', 'boolean_value', 'string_value', 'extension_value']),
                fields: {
                  int_value: { type: 'uint32', id: 1 },
                  long_value: { type: 'uint64', id: 2 },
                  float_value: { type: 'float', id: 3 },
                  double_value: { type: 'double', id: 4 },
                  boolean_value: { type: 'bool', id: 5 },
                  string_value: { type: 'string', id: 6 },
                  extension_value: { type: 'DataSetValueExtension', id: 7 },
                },
                nested: { DataSetValueExtension: { fields: {} } },
              },
              Row: { fields: { elements: { rule: 'repeated', type: 'DataSetValue', id: 1 } } },
            },
          },
          PropertyValue: {
            oneofs: valueOneof(['int_value', 'long_value', 'float_value', 'double_value', 'boolean_value', 'string_value', 'propertyset_value', 'propertysets_value', 'extension_value']),
            fields: {
              type: { type: 'uint32', id: 1 },
              is_null: { type: 'bool', id: 2 },
              int_value: { type: 'uint32', id: 3 },
              long_value: { type: 'uint64', id: 4 },
              float_value: { type: 'float', id: 5 },
              double_value: { type: 'double', id: 6 },
              boolean_value: { type: 'bool', id: 7 },
              string_value: { type: 'string', id: 8 },
              propertyset_value: { type: 'PropertySet', id: 9 },
              propertysets_value: { type: 'PropertySetList', id: 10 },
              extension_value: { type: 'PropertyValueExtension', id: 11 },
            },
            nested: { PropertyValueExtension: { fields: {} } },
          },
          PropertySet: {
            fields: {
              keys: { rule: 'repeated', type: 'string', id: 1 },
              values: { rule: 'repeated', type: 'PropertyValue', id: 2 },
            },
          },
          PropertySetList: {
            fields: { propertyset: { rule: 'repeated', type: 'PropertySet', id: 1 } },
          },
          MetaData: {
            fields: {
              is_multi_part: { type: 'bool', id: 1 },
              content_type: { type: 'string', id: 2 },
              size: { type: 'uint64', id: 3 },
              seq: { type: 'uint64', id: 4 },
              file_name: { type: 'string', id: 5 },
              file_type: { type: 'string', id: 6 },
              md5: { type: 'string', id: 7 },
              description: { type: 'string', id: 8 },
            },
          },
          Metric: {
            oneofs: valueOneof(['int_value', 'long_value', 'float_value', 'double_value', 'boolean_value', 'string_value', 'bytes_value', 'dataset_value', 'template_value', 'extension_value']),
            fields: {
              name: { type: 'string', id: 1 },
              alias: { type: 'uint64', id: 2 },
              timestamp: { type: 'uint64', id: 3 },
              datatype: { type: 'uint32', id: 4 },
              is_historical: { type: 'bool', id: 5 },
              is_transient: { type: 'bool', id: 6 },
              is_null: { type: 'bool', id: 7 },
              metadata: { type: 'MetaData', id: 8 },
              properties: { type: 'PropertySet', id: 9 },
              int_value: { type: 'uint32', id: 10 },
              long_value: { type: 'uint64', id: 11 },
              float_value: { type: 'float', id: 12 },
              double_value: { type: 'double', id: 13 },
              boolean_value: { type: 'bool', id: 14 },
              string_value: { type: 'string', id: 15 },
              bytes_value: { type: 'bytes', id: 16 },
              dataset_value: { type: 'DataSet', id: 17 },
              template_value: { type: 'Template', id: 18 },
              extension_value: { type: 'MetricValueExtension', id: 19 },
            },
            nested: { MetricValueExtension: { fields: {} } },
          },
        },
};

export const sparkplugDescriptor = {
  nested: { org: { nested: { eclipse: { nested: { tahu: { nested: { protobuf: { nested: { Payload: payloadDescriptor } } } } } } } } },
};

const root = protobuf.Root.fromJSON(sparkplugDescriptor);

/** The Sparkplug B `Payload` type; `encode`/`decode` use the spec's snake_case field names. */
export const PayloadType: protobuf.Type = root.lookupType('org.eclipse.tahu.protobuf.Payload');

/** Sparkplug B 3.0 metric datatypes (spec section "Data Types"). */
export const SparkplugDataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  /** Int8Array = 22 ... DateTimeArray = 34: arrays, sent packed in bytes_value. */
  Int8Array: 22,
  DateTimeArray: 34,
} as const;
