// Drives a registry with npm @confluentinc/schemaregistry (SchemaRegistryClient and the Avro serdes); prints
// one JSON object with what each call returned, for the Rust end-to-end tests to assert on.
const path = require('path');
const modules = path.join(process.env.HERALD_CLIENTS_NODE || process.cwd(), 'node_modules');
const sr = require(path.join(modules, '@confluentinc/schemaregistry'));

async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    return [e.status ?? null, e.errorCode ?? null];
  }
  return null;
}

async function main() {
  const url = process.argv[2];
  const client = new sr.SchemaRegistryClient({ baseURLs: [url] });
  const out = {};
  const v1 = '{"type":"record","name":"Pet","namespace":"e2e","fields":[{"name":"name","type":"string"}]}';
  const v2 = '{"type":"record","name":"Pet","namespace":"e2e","fields":[{"name":"name","type":"string"},{"name":"legs","type":"int","default":4}]}';
  const bad = '{"type":"record","name":"Pet","namespace":"e2e","fields":[{"name":"name","type":"string"},{"name":"owner","type":"string"}]}';
  const info = (s) => ({ schema: s, schemaType: 'AVRO' });

  out.register = await client.register('pets-value', info(v1));
  const full = await new sr.SchemaRegistryClient({ baseURLs: [url] }).registerFullResponse('pets-value', info(v1));
  out.full = [full.id, full.version, typeof full.guid];
  out.byId = (await client.getBySubjectAndId(undefined, out.register)).schema;
  out.bySubjectAndId = (await client.getBySubjectAndId('pets-value', out.register)).schema;
  out.byGuid = (await client.getByGuid(full.guid)).schema;
  out.getId = await client.getId('pets-value', info(v1));
  out.getVersion = await client.getVersion('pets-value', info(v1));
  out.latest = (await client.getLatestSchemaMetadata('pets-value')).version;
  out.metadata = (await client.getSchemaMetadata('pets-value', 1)).id;
  out.allVersions = await client.getAllVersions('pets-value');
  out.allSubjects = await client.getAllSubjects();
  out.updateCompat = await client.updateCompatibility('pets-value', sr.Compatibility.FULL);
  out.compat = await client.getCompatibility('pets-value');
  out.defaultCompat = await client.getDefaultCompatibility();
  out.testLatest = await client.testSubjectCompatibility('pets-value', info(v2));
  out.testVersion = await client.testCompatibility('pets-value', 1, info(bad));
  out.registerBad = await errorOf(() => client.register('pets-value', info(bad)));
  out.missing = await errorOf(() => client.getLatestSchemaMetadata('nobody'));
  out.config = (await client.getConfig('pets-value')).compatibilityLevel;
  out.updateDefaultConfig = (await client.updateDefaultConfig({ compatibility: sr.Compatibility.BACKWARD })).compatibility;

  await client.register('tmp', info('"string"'));
  out.deleteSubject = await client.deleteSubject('tmp');
  out.deleteSubjectPermanent = await client.deleteSubject('tmp', true);
  await client.register('pets-value', info(v2));
  out.deleteVersion = await client.deleteSubjectVersion('pets-value', 2);

  // Avro serializer round trip with auto-registration; the deserializer looks the id up with ?subject=.
  const ser = new sr.AvroSerializer(client, sr.SerdeType.VALUE, { autoRegisterSchemas: true });
  const des = new sr.AvroDeserializer(new sr.SchemaRegistryClient({ baseURLs: [url] }), sr.SerdeType.VALUE, {});
  const pet = { name: 'Rex', legs: 3 };
  const bytes = await ser.serialize('animals', pet);
  out.wire = [bytes[0], bytes.readInt32BE(1)];
  out.roundTrip = await des.deserialize('animals', bytes);
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
