// Passwords long enough to pass the length rule that still top the breach lists (sources: the
// SecLists "Common-Credentials" collections, filtered to 12+ characters). Compared lowercased.
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789012345', '1234567890qwerty',
  '111111111111', '000000000000', '123123123123', '121212121212', '112233445566', '987654321098',
  'qwertyuiop12', 'qwertyuiop123', 'qwertyuiopasdf', 'qwertyuiopasdfgh', 'qwerty123456', 'qwerty1234567',
  'qwertyqwerty', 'asdfghjkl123', 'asdfghjklqwe', 'zxcvbnm12345', 'zxcvbnmasdfg', '1q2w3e4r5t6y',
  '1q2w3e4r5t6y7u', '1qaz2wsx3edc', '1qaz2wsx3edc4rfv', 'qazwsxedcrfv', 'qazwsxedc123', 'zaq12wsxcde3',
  'q1w2e3r4t5y6', 'a1b2c3d4e5f6', 'abc123456789', 'abcdefghijkl', 'abcd12345678', 'abcdef123456',
  'password1234', 'password12345', 'password123456', 'password1234567', 'passwordpassword', 'password!123',
  'password123!', 'p@ssw0rd1234', 'p@ssword1234', 'passw0rd1234', 'mypassword123', 'mypassword1234',
  'thepassword1', 'newpassword1', 'newpassword123', 'changeme1234', 'changeme12345', 'letmein12345',
  'letmein123456', 'welcome12345', 'welcome123456', 'welcome2024!', 'welcome2025!', 'welcome2026!',
  'iloveyou1234', 'iloveyou12345', 'iloveyouforever', 'iloveyoubaby', 'iloveyoutoo1', 'ilovemyself1',
  'sunshine1234', 'princess1234', 'football1234', 'baseball1234', 'basketball12', 'superman1234',
  'batman123456', 'starwars1234', 'pokemon12345', 'computer1234', 'internet1234', 'administrator',
  'administrator1', 'admin1234567', 'admin12345678', 'adminadmin123', 'rootroot1234', 'useruser1234',
  'testtest1234', 'test12345678', 'testing12345', 'guest1234567', 'master123456', 'monkey123456',
  'dragon123456', 'shadow123456', 'michael12345', 'jennifer1234', 'jordan231234', 'liverpool123',
  'chelsea12345', 'arsenal12345', 'manchester12', 'barcelona123', 'trustno11234', 'whatever1234',
  'freedom12345', 'hello1234567', 'helloworld12', 'helloworld123', 'qwerty!@#$%^', '!@#$%^&*()_+',
  '1234qwerasdf', '1234qwerasdfzxcv', 'asdf1234asdf', 'q1w2e3r4q1w2e3r4', 'aaaaaaaaaaaa', 'aaaaaaaaaaaaa',
  'correcthorsebatterystaple', 'correct horse battery staple', 'trellis12345', 'trellistrellis',
]);
