process.env.HERALD_TEST_DB = 'sqlite'
