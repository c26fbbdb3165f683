import { csvField, toCsv, type CsvRow } from './results-csv';

const row = (patch: Partial<CsvRow>): CsvRow => ({
  InstanceId: 'i-1',
  InstanceName: 'web-1',
  Result: 'succeeded',
  Code: '200',
  Message: 'successful',
  RequestId: 'REQ-1',
  StatusAtAttach: 'Running',
  FollowUp: '',
  ...patch,
});

describe('the results CSV', () => {
  it('has the documented columns, one line per instance, CRLF line ends', () => {
    const csv = toCsv([row({}), row({ InstanceId: 'i-2', Result: 'failed', Code: 'IncorrectInstanceStatus' })]);
    expect(csv.split('\r\n')).toEqual([
      'InstanceId,InstanceName,Result,Code,Message,RequestId,StatusAtAttach,FollowUp',
      'i-1,web-1,succeeded,200,successful,REQ-1,Running,',
      'i-2,web-1,failed,IncorrectInstanceStatus,successful,REQ-1,Running,',
      '',
    ]);
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('实例已过期')).toBe('实例已过期');
    const csv = toCsv([row({ Message: 'The instance "web-1", sadly,\r\nfailed' })]);
    expect(csv).toContain(',"The instance ""web-1"", sadly,\r\nfailed",');
  });

  it('defuses values a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});
